package main

import (
	"log/slog"
	"time"

	"minerights/openapi"
	"minerights/registry"
)

// streamFlags bound the live event streams (Server-Sent Events) of a serve
// process: how many, from one address and in all, and how far a subscriber
// may fall behind.
type streamFlags struct {
	StreamsPerAddress  int           `name:"streams-per-address" env:"MINERIGHTS_STREAMS_PER_ADDRESS" default:"64" help:"Live event streams one client address may hold (IPv6: per /64); more are refused with 429."`
	StreamsMax         int           `name:"streams-max" env:"MINERIGHTS_STREAMS_MAX" default:"10000" help:"Live event streams this process holds; more are refused with 503."`
	StreamBuffer       int           `name:"stream-buffer" env:"MINERIGHTS_STREAM_BUFFER" default:"1024" help:"A sale's latest events kept in memory; a subscriber further behind is disconnected and resumes with Last-Event-ID."`
	StreamReplay       int           `name:"stream-replay" env:"MINERIGHTS_STREAM_REPLAY" default:"2048" help:"Most events a resumed stream replays; further back it starts from a snapshot of the sale."`
	StreamTakeOver     bool          `name:"stream-takeover" env:"MINERIGHTS_STREAM_TAKEOVER" default:"true" negatable:"" help:"Serve each HTTP/1.1 event stream from one writer per sale on the connection taken over from the HTTP server (false: one handler per stream)."`
	StreamWriteTimeout time.Duration `name:"stream-write-timeout" env:"MINERIGHTS_STREAM_WRITE_TIMEOUT" default:"250ms" help:"How long a write to a subscriber may block before the stream is dropped (it resumes with Last-Event-ID)."`
}

// events builds the process's fan-out of sale events and the stream limits.
func (c *streamFlags) events(store *registry.Store, hub *registry.Hub, log *slog.Logger) (*registry.Events, openapi.StreamLimits) {
	ev := registry.NewEvents(store, hub, registry.EventsConfig{Buffer: c.StreamBuffer, Replay: c.StreamReplay, Log: log})
	return ev, openapi.StreamLimits{PerAddress: c.StreamsPerAddress, Total: c.StreamsMax, WriteTimeout: c.StreamWriteTimeout}
}

// halls are the writers of the streams taken over from the HTTP server,
// ending when life drains; nil with --no-stream-takeover. The caller runs
// them.
func (c *streamFlags) halls(life *openapi.Lifecycle, log *slog.Logger) *openapi.Halls {
	if !c.StreamTakeOver {
		return nil
	}
	return openapi.NewHalls(life, log)
}
