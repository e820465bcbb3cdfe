package openapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"minerights/registry"
)

// A hall delivers one sale's live events to every stream of it in this
// process from one goroutine, writing straight to the streams' connections
// (taken over from the HTTP server once the response head is out):
//
//   - a new event wakes one goroutine per sale, not one per stream, so a
//     crowd of watchers adds a few runnable goroutines, never thousands,
//     ahead of the bids;
//   - the frames of one batch are joined once per view and position and the
//     same bytes go to every stream there, in one write system call each
//     (no chunked encoding, no per-stream buffer copies or deadlines);
//   - a write never blocks: what the socket does not take is kept (at most
//     one batch) and retried; a stream that keeps it too long falls out of
//     the fan-out's memory, is cut off and resumes with Last-Event-ID.
//
// A connection that cannot be taken over (HTTP/2, a test recorder) is
// served by its own handler as before (server.stream).
//
// Halls are started and awaited by their owner (serve) like every other
// goroutine of the process: Run admits streams until its context ends or
// the process drains, then ends every stream and returns once every
// goroutine the halls started (one per sale, one reading each stream's
// connection, and a take-over in progress) has returned.
type Halls struct {
	life <-chan struct{}
	log  *slog.Logger

	mu      sync.Mutex
	stopped bool          // no stream is admitted; set once, by Run
	stop    chan struct{} // closed when stopped is set
	ran     bool
	bySale  map[int64]*hall
	// wg counts the goroutines of the halls; Add only under mu while not
	// stopped, so that Run's Wait sees every one.
	wg sync.WaitGroup
}

// hallRetry is how soon a hall retries the streams whose socket was full.
const hallRetry = 20 * time.Millisecond

type hall struct {
	hs   *Halls
	sale int64

	mu   sync.Mutex
	subs []*hallStream
	// poke wakes the hall: a stream joined or left.
	poke chan struct{}
}

// hallStream is one taken-over stream.
type hallStream struct {
	conn net.Conn
	raw  syscall.RawConn // nil: conn.Write with a deadline
	sub  *registry.Subscription
	key  string
	h    atomic.Pointer[hall] // set on joining; read by leave from other goroutines

	// pending is what the socket did not take of the last batch; only the
	// hall's goroutine touches it and lastWrite.
	pending   []byte
	lastWrite time.Time
	gone      atomic.Bool
	done      atomic.Bool // closed
	once      sync.Once
	release   func()
	timeout   time.Duration
}

// batchKey names the bytes a stream of a view is sent from one position.
type batchKey struct {
	view     string
	from, to int64
}

// NewHalls returns the halls of a server whose streams end when life
// drains (nil: only when Run's context ends). log is where a hall reports
// a failed stream (nil: slog.Default()). Pass them to the API in
// Transfer.Halls and call Run.
func NewHalls(life *Lifecycle, log *slog.Logger) *Halls {
	if log == nil {
		log = slog.Default()
	}
	return &Halls{life: life.Done(), log: log, stop: make(chan struct{}), bySale: map[int64]*hall{}}
}

// Run admits streams until ctx ends or the process drains; then it ends
// every stream and returns after every goroutine of the halls has. Call it
// once.
func (hs *Halls) Run(ctx context.Context) error {
	hs.mu.Lock()
	if hs.ran {
		hs.mu.Unlock()
		return errors.New("openapi: Halls.Run called twice")
	}
	hs.ran = true
	hs.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-hs.life:
	}
	hs.mu.Lock()
	hs.stopped = true
	close(hs.stop)
	hs.mu.Unlock()
	hs.wg.Wait()
	return nil
}

// goLocked runs f in a goroutine Run awaits; false (nothing started) once
// the halls have stopped. hs.mu is held.
func (hs *Halls) goLocked(f func()) bool {
	if hs.stopped {
		return false
	}
	hs.wg.Add(1)
	go func() {
		defer hs.wg.Done()
		f()
	}()
	return true
}

// enter counts a take-over in progress, which Run awaits; false once the
// halls have stopped. The caller calls hs.wg.Done when it returns.
func (hs *Halls) enter() bool {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.stopped {
		return false
	}
	hs.wg.Add(1)
	return true
}

// takeOver tries to take the stream's connection from the HTTP server,
// writes the response head, the retry hint and the snapshot, and hands the
// stream, subscribed to ev, to its sale's hall; false (nothing written)
// when the connection cannot be taken over or the halls have stopped.
// headTimeout bounds the blocking write of the head and of a connection
// whose socket cannot be written without blocking. release is called when
// the stream ends.
func (hs *Halls) takeOver(rw http.ResponseWriter, ev *registry.Events, headTimeout time.Duration, sale, after int64, sv streamView, snapshot []byte, release func()) bool {
	if !hs.enter() {
		return false
	}
	defer hs.wg.Done()
	conn, _, err := http.NewResponseController(rw).Hijack()
	if err != nil {
		return false
	}
	// The request was a GET without a body: whatever else the client sent
	// (a pipelined request) is not answered; the stream is the
	// connection's last response.
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h := rw.Header().Clone()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "close")
	h.Del("Content-Length")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	_ = h.Write(&head)
	head.WriteString("\r\nretry: 2000\n\n")
	head.Write(snapshot)
	c := &hallStream{conn: conn, release: release, timeout: headTimeout, key: sv.key(), lastWrite: time.Now()}
	if sc, ok := conn.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	_ = conn.SetWriteDeadline(time.Now().Add(headTimeout))
	_, err = conn.Write(head.Bytes())
	_ = conn.SetWriteDeadline(time.Time{})
	if err != nil {
		c.close()
		return true
	}
	c.sub, err = ev.Subscribe(sale, after, sv.registryView(), func() { c.leave() })
	if err != nil {
		c.close()
		return true
	}
	if !hs.join(sale, c) {
		c.close()
	}
	return true
}

// join adds c to the hall of sale, starting it if need be, and starts the
// goroutine that reads the client's side of c's connection; false when the
// halls have stopped.
func (hs *Halls) join(sale int64, c *hallStream) bool {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.stopped {
		return false
	}
	h := hs.bySale[sale]
	if h == nil {
		h = &hall{hs: hs, sale: sale, poke: make(chan struct{}, 1)}
		hs.bySale[sale] = h
		hs.goLocked(h.run)
	}
	c.h.Store(h)
	h.mu.Lock()
	h.subs = append(h.subs, c)
	h.mu.Unlock()
	// The client's side of the connection: it only ever closes it. The
	// read ends when either side closes the connection.
	hs.goLocked(func() {
		var b [256]byte
		for {
			if _, err := c.conn.Read(b[:]); err != nil {
				break
			}
		}
		c.leave()
	})
	h.wake()
	return true
}

func (h *hall) wake() {
	select {
	case h.poke <- struct{}{}:
	default:
	}
}

// leave marks the stream as ended (the client closed it, or it was cut
// off) and wakes its hall to drop it.
func (c *hallStream) leave() {
	c.gone.Store(true)
	if h := c.h.Load(); h != nil {
		h.wake()
	}
}

// close ends the stream: the connection, the subscription, its slot.
func (c *hallStream) close() {
	c.once.Do(func() {
		c.gone.Store(true)
		defer c.done.Store(true)
		_ = c.conn.Close()
		if c.sub != nil {
			c.sub.Close()
		}
		c.release()
	})
}

// retire removes the hall when it has no stream left; false when one
// joined meanwhile.
func (h *hall) retire() bool {
	h.hs.mu.Lock()
	defer h.hs.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) > 0 {
		return false
	}
	if h.hs.bySale[h.sale] == h {
		delete(h.hs.bySale, h.sale)
	}
	return true
}

// run delivers until the hall has no stream or the halls stop.
func (h *hall) run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := time.NewTicker(streamKeepAlive / 3)
	defer tick.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	var (
		subs   []*hallStream
		frames [][]byte
		shared = map[batchKey][]byte{}
		wait   <-chan struct{}
		keep   bool
	)
	keepAlive := []byte(": keep-alive\n\n")
	for {
		h.mu.Lock()
		subs = append(subs[:0], h.subs...)
		h.mu.Unlock()
		if len(subs) == 0 && h.retire() {
			return
		}
		clear(shared)
		wait = nil // a channel from an earlier pass may be closed by now
		more, pending, dropped := false, false, false
		now := time.Now()
		for _, c := range subs {
			if c.gone.Load() {
				c.close()
				dropped = true
				continue
			}
			if len(c.pending) > 0 {
				if !c.send(nil, now) {
					c.close()
					dropped = true
					continue
				}
				if len(c.pending) > 0 {
					pending = true
					continue
				}
			}
			from := c.sub.Pos()
			var ch <-chan struct{}
			var err error
			frames, ch, err = c.sub.Next(ctx, frames[:0], streamBatch)
			if err != nil {
				if !errors.Is(err, registry.ErrLagged) && !errors.Is(err, registry.ErrEventsClosed) {
					h.hs.log.Error("event stream", "sale", h.sale, "err", err)
				}
				c.close()
				dropped = true
				continue
			}
			select {
			case <-ch:
				more = true // more is ready at once (or the room stopped: Next says so)
			default:
				wait = ch
			}
			var b []byte
			switch {
			case len(frames) > 0:
				k := batchKey{c.key, from, c.sub.Pos()}
				var ok bool
				if b, ok = shared[k]; !ok {
					b = bytes.Join(frames, nil)
					shared[k] = b
				}
			case keep && now.Sub(c.lastWrite) >= streamKeepAlive:
				b = keepAlive
			default:
				continue
			}
			if !c.send(b, now) {
				c.close()
				dropped = true
			} else if len(c.pending) > 0 {
				pending = true
			}
		}
		keep = false
		if dropped {
			h.mu.Lock()
			h.subs = slices.DeleteFunc(h.subs, func(c *hallStream) bool { return c.done.Load() })
			h.mu.Unlock()
		}
		if more {
			continue
		}
		var retryC <-chan time.Time
		if pending {
			retry.Reset(hallRetry)
			retryC = retry.C
		}
		select {
		case <-h.hs.stop:
			h.mu.Lock()
			for _, c := range h.subs {
				c.close()
			}
			h.subs = nil
			h.mu.Unlock()
			h.retire()
			return
		case <-wait:
		case <-h.poke:
		case <-retryC:
		case <-tick.C:
			keep = true
		}
		if !retry.Stop() {
			select {
			case <-retry.C:
			default:
			}
		}
	}
}

// send writes what is pending, then b, without blocking: what the socket
// does not take is kept (b only when nothing was left pending; the bytes of
// a batch are never changed once joined, so they are kept, not copied).
// False when the connection failed.
func (c *hallStream) send(b []byte, now time.Time) bool {
	if len(c.pending) > 0 {
		n, err := c.write(c.pending)
		if err != nil {
			return false
		}
		if c.pending = c.pending[n:]; len(c.pending) > 0 {
			return true
		}
		c.pending = nil
		c.lastWrite = now
	}
	if len(b) == 0 {
		return true
	}
	n, err := c.write(b)
	if err != nil {
		return false
	}
	c.lastWrite = now
	if n < len(b) {
		c.pending = b[n:]
	}
	return true
}

// write writes what the socket takes of b now.
func (c *hallStream) write(b []byte) (int, error) {
	if c.raw == nil {
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
		return c.conn.Write(b)
	}
	n := 0
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return true
			case e != nil:
				werr = e
				return true
			case m <= 0:
				return true
			}
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}
