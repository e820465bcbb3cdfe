package registry

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/internal/creditcode"
	"minerights/internal/password"
)

// sessionPrefix marks session cookies, as tokenPrefix marks API tokens.
const sessionPrefix = "mrs_"

// Sign-in throttling: at most LoginFailuresPerLogin failed sign-ins per
// login, and LoginFailuresPerAddr per client address, within LoginWindow;
// beyond them sign-in is refused, even with the right password, until the
// oldest failure of the window has aged out.
const (
	LoginWindow           = 15 * time.Minute
	LoginFailuresPerLogin = 5
	LoginFailuresPerAddr  = 20
)

// SessionTTL is how long a session lasts from sign-in.
const SessionTTL = 12 * time.Hour

var (
	// ErrBadCredentials is a sign-in with an unknown login or a wrong
	// password; which of the two is not said.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrAccountDisabled is a sign-in to a disabled account (with the right
	// password).
	ErrAccountDisabled = errors.New("account disabled")
)

// ThrottledError refuses a sign-in while too many have failed; Until is
// when the next attempt may be made.
type ThrottledError struct {
	Until time.Time
	// PerAddr is true when the client address, not the login, is throttled.
	PerAddr bool
}

func (e *ThrottledError) Error() string {
	return "registry: too many failed sign-ins, retry after " + e.Until.Format(time.RFC3339)
}

// Account is a person or company who signs in in the browser.
type Account struct {
	ID         int64      `json:"id"`
	Login      string     `json:"login"`
	Role       string     `json:"role"`
	Name       string     `json:"name"`
	Phone      *string    `json:"phone"`
	Bidder     *Bidder    `json:"bidder,omitempty"`
	ApprovedAt *time.Time `json:"approved_at"`
	ApprovedBy *string    `json:"approved_by"`
	DisabledAt *time.Time `json:"disabled_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Pending is true for a bidder account the bureau has not approved yet.
func (a Account) Pending() bool { return a.Role == RoleBidder && a.ApprovedAt == nil }

// BidderRegistration is what a bidding company enters to register.
type BidderRegistration struct {
	Company    string // registered name of the legal person
	CreditCode string // 统一社会信用代码
	Contact    string // contact person
	Phone      string
	Email      string // the login
	Password   string
}

// UserInput makes a bureau or planner account.
type UserInput struct {
	Role     string
	Login    string // e-mail
	Name     string
	Phone    string
	Password string
}

// CheckCreditCode returns a ValidationError on field for a code that is not
// a 统一社会信用代码 (GB 32100-2015, check character included).
func CheckCreditCode(field, code string) error {
	if err := creditcode.Check(code); err != nil {
		var ce *creditcode.Error
		errors.As(err, &ce)
		return &ValidationError{Field: field, Reason: "not a unified social credit code (统一社会信用代码): " + ce.Reason + "; " + ce.Chinese}
	}
	return nil
}

func normLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkLogin(login string) error {
	a, err := mail.ParseAddress(login)
	if err != nil || a.Address != login || len(login) > 254 {
		return &ValidationError{Field: "email", Reason: "not an e-mail address; 不是有效的电子邮箱地址"}
	}
	return nil
}

func checkPassword(pw string) error {
	if why := password.Check(pw); why != "" {
		return &ValidationError{Field: "password", Reason: why}
	}
	return nil
}

// RegisterBidder makes a bidding company's bidder record and its account,
// pending the bureau's approval. A credit code or e-mail already registered
// is a conflict.
func (s *Store) RegisterBidder(ctx context.Context, in BidderRegistration) (Account, error) {
	in.Company, in.Contact, in.Phone = strings.TrimSpace(in.Company), strings.TrimSpace(in.Contact), strings.TrimSpace(in.Phone)
	in.CreditCode, in.Email = strings.ToUpper(strings.TrimSpace(in.CreditCode)), normLogin(in.Email)
	switch {
	case in.Company == "" || len([]rune(in.Company)) > 200:
		return Account{}, &ValidationError{Field: "company", Reason: "the company's registered name is required (at most 200 characters); 请填写单位全称（不超过 200 字）"}
	case in.Contact == "" || len([]rune(in.Contact)) > 100:
		return Account{}, &ValidationError{Field: "contact", Reason: "the contact person is required; 请填写联系人"}
	case !validPhone(in.Phone):
		return Account{}, &ValidationError{Field: "phone", Reason: "a phone number of 7 to 20 digits (with +, - or spaces); 请填写联系电话（7-20 位数字）"}
	}
	if err := CheckCreditCode("credit_code", in.CreditCode); err != nil {
		return Account{}, err
	}
	if err := checkLogin(in.Email); err != nil {
		return Account{}, err
	}
	if err := checkPassword(in.Password); err != nil {
		return Account{}, err
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return Account{}, err
	}
	var id int64
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var bidderID int64
		err := tx.QueryRow(ctx, `INSERT INTO bidder (name, credit_code, contact) VALUES ($1, $2, $3)
			ON CONFLICT (credit_code) DO NOTHING RETURNING id`, in.Company, in.CreditCode, in.Contact).Scan(&bidderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return &ConflictError{Field: "credit_code", Reason: "a bidder with this unified social credit code is already registered (该统一社会信用代码已注册)"}
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO account (login, role, name, phone, password_hash, bidder_id)
			VALUES ($1, 'bidder', $2, $3, $4, $5) ON CONFLICT (login) DO NOTHING RETURNING id`,
			in.Email, in.Contact, in.Phone, hash, bidderID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return &ConflictError{Field: "email", Reason: "an account with this e-mail address already exists (该电子邮箱已注册)"}
		}
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("registry: register bidder: %w", err)
	}
	return s.GetAccount(ctx, id)
}

func validPhone(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' || r == '-' || r == ' ':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 20
}

// CreateUser makes a bureau or planner account, approved at once.
func (s *Store) CreateUser(ctx context.Context, in UserInput, actor string) (Account, error) {
	in.Login, in.Name, in.Phone = normLogin(in.Login), strings.TrimSpace(in.Name), strings.TrimSpace(in.Phone)
	if in.Role != RoleBureau && in.Role != RolePlanner {
		return Account{}, &ValidationError{Field: "role", Reason: fmt.Sprintf("%q: accounts made by the bureau are bureau or planner; bidders register themselves", in.Role)}
	}
	if in.Name == "" {
		return Account{}, &ValidationError{Field: "name", Reason: "the person's name is required"}
	}
	if err := checkLogin(in.Login); err != nil {
		return Account{}, err
	}
	if err := checkPassword(in.Password); err != nil {
		return Account{}, err
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return Account{}, err
	}
	var phone *string
	if in.Phone != "" {
		phone = &in.Phone
	}
	var id int64
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO account (login, role, name, phone, password_hash, approved_at, approved_by)
			VALUES ($1, $2, $3, $4, $5, now(), $6) ON CONFLICT (login) DO NOTHING RETURNING id`,
			in.Login, in.Role, in.Name, phone, hash, actor).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return &ConflictError{Field: "email", Reason: "an account with this e-mail address already exists"}
		}
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("registry: create user: %w", err)
	}
	return s.GetAccount(ctx, id)
}

const accountColumns = `a.id, a.login, a.role, a.name, a.phone, a.approved_at, a.approved_by, a.disabled_at, a.created_at,
	b.id, b.name, b.credit_code, b.contact, b.created_at`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	var bid *int64
	var bname, bcontact *string
	var bcode *string
	var bcreated *time.Time
	err := row.Scan(&a.ID, &a.Login, &a.Role, &a.Name, &a.Phone, &a.ApprovedAt, &a.ApprovedBy, &a.DisabledAt, &a.CreatedAt,
		&bid, &bname, &bcode, &bcontact, &bcreated)
	if err != nil {
		return a, err
	}
	if bid != nil {
		a.Bidder = &Bidder{ID: *bid, Name: *bname, CreditCode: bcode, Contact: bcontact, CreatedAt: *bcreated}
	}
	return a, nil
}

// GetAccount returns an account.
func (s *Store) GetAccount(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM account a LEFT JOIN bidder b ON b.id = a.bidder_id WHERE a.id = $1`, id))
	if err != nil {
		return a, fmt.Errorf("registry: get account %d: %w", id, mapErr(err))
	}
	return a, nil
}

// AccountFilter selects accounts.
type AccountFilter struct {
	Role    string
	Pending bool // bidder accounts awaiting approval only
	Limit   int
	Offset  int
}

// ListAccounts returns accounts, oldest first, and how many match.
func (s *Store) ListAccounts(ctx context.Context, f AccountFilter) ([]Account, int, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	where := `($1 = '' OR a.role = $1) AND (NOT $2 OR (a.role = 'bidder' AND a.approved_at IS NULL AND a.disabled_at IS NULL))`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM account a WHERE `+where, f.Role, f.Pending).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("registry: count accounts: %w", mapErr(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM account a LEFT JOIN bidder b ON b.id = a.bidder_id
		WHERE `+where+` ORDER BY a.id LIMIT $3 OFFSET $4`, f.Role, f.Pending, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list accounts: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) { return scanAccount(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list accounts: %w", mapErr(err))
	}
	return out, total, nil
}

// FindAccount returns the account with a login (e-mail) or, for a bidder,
// a credit code.
func (s *Store) FindAccount(ctx context.Context, loginOrCode string) (Account, error) {
	k := strings.TrimSpace(loginOrCode)
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM account a LEFT JOIN bidder b ON b.id = a.bidder_id
		WHERE a.login = $1 OR b.credit_code = $2`, normLogin(k), strings.ToUpper(k)))
	if err != nil {
		return a, fmt.Errorf("registry: find account %q: %w", k, mapErr(err))
	}
	return a, nil
}

// ApproveBidder approves a bidder account: from now on it may apply for
// sales. Approving an approved account changes nothing.
func (s *Store) ApproveBidder(ctx context.Context, accountID int64, actor string) (Account, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var role string
		var disabled *time.Time
		if err := tx.QueryRow(ctx, `SELECT role, disabled_at FROM account WHERE id = $1 FOR UPDATE`, accountID).Scan(&role, &disabled); err != nil {
			return err
		}
		if role != RoleBidder {
			return conflict("account %d is a %s account, not a bidder's; only bidder accounts need approval", accountID, role)
		}
		if disabled != nil {
			return conflict("account %d is disabled", accountID)
		}
		_, err := tx.Exec(ctx, `UPDATE account SET approved_at = now(), approved_by = $2 WHERE id = $1 AND approved_at IS NULL`, accountID, actor)
		if err != nil {
			return err
		}
		// Sessions remember what the account may do: every process forgets them.
		return notifyAccount(ctx, tx, accountID)
	})
	if err != nil {
		return Account{}, fmt.Errorf("registry: approve account %d: %w", accountID, err)
	}
	return s.GetAccount(ctx, accountID)
}

// notifyAccount tells every process (ChannelTokens) to forget what it
// remembers of the account's sessions.
func notifyAccount(ctx context.Context, tx pgx.Tx, accountID int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, ChannelTokens, "account:"+strconv.FormatInt(accountID, 10))
	return err
}

// DisableAccount disables an account and ends its sessions; every process
// hears it at once (ChannelTokens), as it hears a revoked token.
func (s *Store) DisableAccount(ctx context.Context, accountID int64) (Account, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE account SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1`, accountID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `UPDATE web_session SET ended_at = now() WHERE account_id = $1 AND ended_at IS NULL`, accountID); err != nil {
			return err
		}
		return notifyAccount(ctx, tx, accountID)
	})
	if err != nil {
		return Account{}, fmt.Errorf("registry: disable account %d: %w", accountID, err)
	}
	return s.GetAccount(ctx, accountID)
}

// Session is a signed-in browser: Token goes into the cookie, CSRF into
// every page's forms and the X-CSRF-Token header of the page's API calls.
type Session struct {
	Token     string
	CSRF      string
	AccountID int64
	ExpiresAt time.Time
}

func randomString(prefix string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// dummyHash is verified against for an unknown login, so that a wrong
// login costs the same time as a wrong password.
var dummyHash, _ = password.Hash("minerights-no-such-account")

// SignIn checks a login and password from a client address and starts a
// session. While the login or the address has failed too often within
// LoginWindow it refuses with a *ThrottledError without looking at the
// password. A session a client had before (fixation) is never reused: each
// sign-in makes a fresh one.
func (s *Store) SignIn(ctx context.Context, login, pw, addr string) (Session, error) {
	login = normLogin(login)
	if len(login) > 254 || len(pw) > 4*password.MaxLength {
		return Session{}, ErrBadCredentials
	}
	var byLogin, byAddr int
	var loginOldest, addrOldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM login_failure WHERE login = $1 AND at > now() - $3::interval),
			(SELECT min(at) FROM (SELECT at FROM login_failure WHERE login = $1 AND at > now() - $3::interval ORDER BY at DESC LIMIT $4) x),
			(SELECT count(*) FROM login_failure WHERE addr = $2 AND at > now() - $3::interval),
			(SELECT min(at) FROM (SELECT at FROM login_failure WHERE addr = $2 AND at > now() - $3::interval ORDER BY at DESC LIMIT $5) y)`,
		login, addr, LoginWindow, LoginFailuresPerLogin, LoginFailuresPerAddr).Scan(&byLogin, &loginOldest, &byAddr, &addrOldest)
	if err != nil {
		return Session{}, fmt.Errorf("registry: sign in: %w", mapErr(err))
	}
	if byLogin >= LoginFailuresPerLogin {
		return Session{}, &ThrottledError{Until: loginOldest.Add(LoginWindow)}
	}
	if byAddr >= LoginFailuresPerAddr {
		return Session{}, &ThrottledError{Until: addrOldest.Add(LoginWindow), PerAddr: true}
	}
	var id int64
	var hash string
	var disabled *time.Time
	err = s.pool.QueryRow(ctx, `SELECT id, password_hash, disabled_at FROM account WHERE login = $1`, login).Scan(&id, &hash, &disabled)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("registry: sign in: %w", mapErr(err))
	}
	if errors.Is(err, pgx.ErrNoRows) {
		_ = password.Verify(dummyHash, pw)
		hash = ""
	} else if verr := password.Verify(hash, pw); verr != nil {
		hash = ""
	}
	if hash == "" {
		if _, err := s.pool.Exec(ctx, `INSERT INTO login_failure (login, addr) VALUES ($1, $2)`, login, addr); err != nil {
			return Session{}, fmt.Errorf("registry: sign in: %w", mapErr(err))
		}
		return Session{}, ErrBadCredentials
	}
	if disabled != nil {
		return Session{}, ErrAccountDisabled
	}
	sess := Session{AccountID: id}
	if sess.Token, err = randomString(sessionPrefix); err != nil {
		return Session{}, err
	}
	if sess.CSRF, err = randomString(""); err != nil {
		return Session{}, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Forget this login's failures, and keep both tables bounded: failures
		// older than the window and sessions a day past their expiry are of
		// no further use.
		if _, err := tx.Exec(ctx, `DELETE FROM login_failure WHERE login = $1 OR at < now() - $2::interval`, login, 2*LoginWindow); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM web_session WHERE expires_at < now() - interval '1 day'`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO web_session (digest, account_id, csrf, expires_at) VALUES ($1, $2, $3, now() + $4::interval)
			RETURNING expires_at`, digest(sess.Token), id, sess.CSRF, SessionTTL).Scan(&sess.ExpiresAt)
	})
	if err != nil {
		return Session{}, fmt.Errorf("registry: sign in: %w", err)
	}
	return sess, nil
}

// IsSessionToken says whether a credential is a session cookie rather than
// an API token.
func IsSessionToken(s string) bool { return strings.HasPrefix(s, sessionPrefix) }

// SessionPrincipal returns the principal of a live session (not ended, not
// expired, its account not disabled), or ErrUnauthenticated. A bidder
// account acts for its bidder only once approved (BidderID is nil before).
func (s *Store) SessionPrincipal(ctx context.Context, token string) (Principal, error) {
	var p Principal
	if !IsSessionToken(token) || len(token) > 128 {
		return p, ErrUnauthenticated
	}
	var bidderID *int64
	var approved *time.Time
	var bidderName *string
	var expires time.Time
	err := s.pool.QueryRow(ctx, `SELECT a.id, a.name, a.role, a.bidder_id, a.approved_at, b.name, ws.csrf, ws.expires_at
		FROM web_session ws JOIN account a ON a.id = ws.account_id LEFT JOIN bidder b ON b.id = a.bidder_id
		WHERE ws.digest = $1 AND ws.ended_at IS NULL AND ws.expires_at > now() AND a.disabled_at IS NULL`,
		digest(token)).Scan(&p.AccountID, &p.Name, &p.Role, &bidderID, &approved, &bidderName, &p.CSRF, &expires)
	if err != nil {
		if err = mapErr(err); err == ErrNotFound {
			return p, ErrUnauthenticated
		}
		return p, fmt.Errorf("registry: session: %w", err)
	}
	p.ExpiresAt = &expires
	if bidderName != nil {
		p.Name = *bidderName
	}
	if p.Role == RoleBidder {
		p.Pending = approved == nil
		if !p.Pending {
			p.BidderID = bidderID
		}
	}
	return p, nil
}

// EndSession ends a session (sign-out) and tells every process.
func (s *Store) EndSession(ctx context.Context, token string) error {
	if !IsSessionToken(token) {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE web_session SET ended_at = now() WHERE digest = $1 AND ended_at IS NULL`, digest(token))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, 'session')`, ChannelTokens)
		return err
	})
	if err != nil {
		return fmt.Errorf("registry: end session: %w", err)
	}
	return nil
}
