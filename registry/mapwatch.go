package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// MapChannel is the channel the map triggers of 004_maps.sql notify; the
// payload names the collection whose data changed, or "*catalog" when the
// list of collections did. The compliance schema's layer_changed channel
// (a new layer version) is watched too.
const MapChannel = "map_changed"

// MapWatcher receives map change notifications.
type MapWatcher interface {
	// Changed is called with the collection whose data changed.
	Changed(topic string)
	// Reset is called each time the listening connection is (re)made,
	// after LISTEN and before any notification: changes may have been
	// missed while it was down, so everything cached must go.
	Reset()
	// Lost is called when the listening connection fails; until the next
	// Reset nothing may be cached.
	Lost(err error)
}

type mapHandler struct{ w MapWatcher }

func (h mapHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.w.Changed(n.Payload)
	return nil
}

func (h mapHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.w.Reset()
	return nil
}

type layerHandler struct{ w MapWatcher }

func (h layerHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.w.Changed(n.Payload)
	h.w.Changed("*catalog")
	return nil
}

// WatchMaps listens for map changes on a connection of its own until ctx
// ends, reconnecting after a second when the connection fails.
func (s *Store) WatchMaps(ctx context.Context, w MapWatcher) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, cfg)
		},
		LogError: func(_ context.Context, err error) {
			w.Lost(err)
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(MapChannel, mapHandler{w})
	l.Handle("layer_changed", layerHandler{w})
	if err := l.Listen(ctx); err != nil && ctx.Err() == nil {
		return fmt.Errorf("registry: watch maps: %w", err)
	}
	return nil
}
