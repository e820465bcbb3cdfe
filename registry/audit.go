package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/auction"
)

// AuditEntry is one entry of a sale's hash chain. Data is the event as
// package auction encodes it (or, for the registry's own kinds, the record it
// describes); it names bidders, so it is the bureau's to read until the sale
// closes.
type AuditEntry struct {
	SaleID     int64           `json:"sale_id"`
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"`
	At         time.Time       `json:"at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Actor      string          `json:"actor"`
	Data       json.RawMessage `json:"data"`
	PrevHash   []byte          `json:"prev_hash"`
	Hash       []byte          `json:"hash"`
	// Salt is the entry's random salt (saltSize bytes), which its hash covers
	// so that hidden members cannot be found by hashing candidates; nil for
	// entries written before migration 010, whose hashes have none.
	Salt []byte `json:"salt,omitempty"`
}

// Audit kinds the registry records beside auction's events (auction's
// visibility table has their rules).
const (
	KindNoticePublished = auction.KindNoticePublished
	KindContractTerms   = auction.KindContractTerms
	KindPaymentRecorded = auction.KindPaymentRecorded
)

// registryKinds are chained and verified like the others but carry no
// auction event.
var registryKinds = auction.RecordKinds

// saltSize is the length of an entry's salt: 128 bits from crypto/rand.
const saltSize = 16

// EntryHash computes an entry's hash: SHA-256 of the previous entry's hash
// followed by the canonical JSON of {actor, data, kind, recorded_at, sale_id,
// salt, seq}, salt in hex (entries written before migration 010 have no salt
// and no salt member). Without the salt, a hidden member (a bidder id, the
// token id in the actor, a sealed amount) could be recovered from a published
// hash by hashing the few hundred candidates; with it, the hash says nothing
// until the salt is shown, which it is only to readers who may see the whole
// entry (auction.Visible). Canonical JSON has its object keys sorted, no insignificant
// whitespace, numbers as written, times in UTC RFC 3339 with the fraction
// trimmed, and no HTML escaping, so that a database's re-encoding of data
// (jsonb reorders keys) does not change the hash. The event's own time is
// inside data, so At is not hashed twice.
func EntryHash(prev []byte, e AuditEntry) ([]byte, error) {
	var data any
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("registry: audit entry %d/%d: data: %w", e.SaleID, e.Seq, err)
	}
	doc := map[string]any{
		"actor":       e.Actor,
		"data":        data,
		"kind":        e.Kind,
		"recorded_at": e.RecordedAt.UTC().Format(time.RFC3339Nano),
		"sale_id":     e.SaleID,
		"seq":         e.Seq,
	}
	if e.Salt != nil {
		doc["salt"] = hex.EncodeToString(e.Salt)
	}
	body, err := canonical(doc)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil), nil
}

// canonical encodes v with sorted keys (encoding/json sorts map keys), no
// whitespace and no HTML escaping.
func canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// chain appends entries to a sale's chain; the caller holds the sale row
// lock, which is what serialises the chain. add computes each entry's hash
// and queue writes them all in one statement.
type chain struct {
	saleID int64
	seq    int64
	head   []byte
	now    time.Time
	actor  string
	rows   chainRows
}

// chainRows are the entries a chain has added and not yet queued, by column.
type chainRows struct {
	seq        []int64
	kind       []string
	at         []time.Time
	data       []string
	prev, hash [][]byte
	salt       [][]byte
}

// add appends one entry and advances the head.
func (c *chain) add(kind string, at time.Time, data []byte) error {
	if c.head == nil {
		c.head = []byte{} // the first entry's prev_hash is empty, not NULL
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	c.seq++
	e := AuditEntry{SaleID: c.saleID, Seq: c.seq, Kind: kind, At: at, RecordedAt: c.now, Actor: c.actor, Data: data, Salt: salt}
	h, err := EntryHash(c.head, e)
	if err != nil {
		return err
	}
	r := &c.rows
	r.seq, r.kind, r.at, r.data = append(r.seq, c.seq), append(r.kind, kind), append(r.at, at), append(r.data, string(data))
	r.prev, r.hash, r.salt = append(r.prev, c.head), append(r.hash, h), append(r.salt, salt)
	c.head = h
	return nil
}

// queue queues the insert of the entries added since the last queue.
func (c *chain) queue(b *pgx.Batch) {
	r := &c.rows
	if len(r.seq) == 0 {
		return
	}
	b.Queue(`INSERT INTO audit_event (sale_id, seq, kind, at, recorded_at, actor, data, prev_hash, hash, salt)
		SELECT $1, u.seq, u.kind, u.at, $2, $3, u.data::jsonb, u.prev, u.hash, u.salt
		FROM unnest($4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::bytea[], $9::bytea[], $10::bytea[]) AS u(seq, kind, at, data, prev, hash, salt)`,
		c.saleID, c.now, c.actor, r.seq, r.kind, r.at, r.data, r.prev, r.hash, r.salt)
	*r = chainRows{}
}

// AuditEntries returns a sale's entries with seq > after, in order, at most
// limit of them (0: all).
func (s *Store) AuditEntries(ctx context.Context, saleID, after int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	out, err := s.queryEntries(ctx, `WHERE sale_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, saleID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("registry: audit entries of sale %d: %w", saleID, err)
	}
	return out, nil
}

const entryColumns = `sale_id, seq, kind, at, recorded_at, actor, data::text, prev_hash, hash, salt`

// queryEntries reads the audit entries that the rest of a statement
// (`WHERE …`) selects.
func (s *Store) queryEntries(ctx context.Context, where string, args ...any) ([]AuditEntry, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT `+entryColumns+`
		FROM audit_event `+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanEntry)
}

func scanEntry(row pgx.CollectableRow) (AuditEntry, error) {
	var e AuditEntry
	var data string
	err := row.Scan(&e.SaleID, &e.Seq, &e.Kind, &e.At, &e.RecordedAt, &e.Actor, &data, &e.PrevHash, &e.Hash, &e.Salt)
	e.Data = json.RawMessage(data)
	return e, err
}

// Checkpoint is a global checkpoint: the head of every sale's chain at one
// moment, itself chained to the previous checkpoint.
type Checkpoint struct {
	ID       int64       `json:"id"`
	At       time.Time   `json:"at"`
	Heads    []ChainHead `json:"heads"`
	PrevHash []byte      `json:"prev_hash"`
	Hash     []byte      `json:"hash"`
}

// ChainHead is the last entry of one sale's chain.
type ChainHead struct {
	SaleID int64  `json:"sale_id"`
	Seq    int64  `json:"seq"`
	Hash   string `json:"hash"`
}

func checkpointHash(prev []byte, at time.Time, heads []ChainHead) ([]byte, error) {
	body, err := canonical(map[string]any{"at": at.UTC().Format(time.RFC3339Nano), "heads": heads})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil), nil
}

// WriteCheckpoint records the current head of every sale's chain, chained to
// the previous checkpoint, unless nothing changed since it. One writer at a
// time: a process that finds another writing skips its turn. It reports
// whether a checkpoint was written.
func (s *Store) WriteCheckpoint(ctx context.Context) (bool, error) {
	wrote := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext('minerights.audit_checkpoint'))`).Scan(&got); err != nil || !got {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (sale_id) sale_id, seq, encode(hash, 'hex')
			FROM audit_event ORDER BY sale_id, seq DESC`)
		if err != nil {
			return err
		}
		heads, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ChainHead])
		if err != nil {
			return err
		}
		if heads == nil {
			heads = []ChainHead{}
		}
		prev := []byte{}
		var prevHeads []byte
		err = tx.QueryRow(ctx, `SELECT hash, heads::text FROM audit_checkpoint ORDER BY id DESC LIMIT 1`).Scan(&prev, &prevHeads)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if prevHeads != nil {
			var old []ChainHead
			if err := json.Unmarshal(prevHeads, &old); err == nil && slices.Equal(old, heads) {
				return nil
			}
		}
		var at time.Time
		if err := tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&at); err != nil {
			return err
		}
		h, err := checkpointHash(prev, at, heads)
		if err != nil {
			return err
		}
		hb, _ := json.Marshal(heads)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoint (at, heads, prev_hash, hash) VALUES ($1, $2::jsonb, $3, $4)`,
			at, string(hb), prev, h); err != nil {
			return err
		}
		wrote = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("registry: audit checkpoint: %w", err)
	}
	return wrote, nil
}

// Checkpoints returns the latest checkpoints, newest first.
func (s *Store) Checkpoints(ctx context.Context, limit int) ([]Checkpoint, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT id, at, heads::text, prev_hash, hash FROM audit_checkpoint ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("registry: checkpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCheckpoint)
	if err != nil {
		return nil, fmt.Errorf("registry: checkpoints: %w", err)
	}
	return out, nil
}

func scanCheckpoint(row pgx.CollectableRow) (Checkpoint, error) {
	var c Checkpoint
	var heads string
	if err := row.Scan(&c.ID, &c.At, &heads, &c.PrevHash, &c.Hash); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(heads), &c.Heads)
}
