-- Web accounts and sessions: people who sign in with a password in the
-- browser (bidding companies, the bureau's clerks, planners). Bearer tokens
-- (api_token) stay for API clients.
--
-- A bidding company registers itself: its bidder record (name, 统一社会信用代码,
-- contact person) is the bidder of 003, made at registration, and its
-- account may apply for sales once the bureau has approved it. Bureau and
-- planner accounts are made by the bureau.
CREATE TABLE account (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         text NOT NULL CHECK (login = lower(btrim(login)) AND length(login) BETWEEN 3 AND 254),
    role          text NOT NULL CHECK (role IN ('bureau', 'bidder', 'planner')),
    name          text NOT NULL CHECK (length(btrim(name)) > 0),
    phone         text,
    password_hash text NOT NULL,
    bidder_id     bigint UNIQUE REFERENCES bidder (id),
    approved_at   timestamptz,
    approved_by   text,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_bidder_role CHECK ((role = 'bidder') = (bidder_id IS NOT NULL))
);
CREATE UNIQUE INDEX account_login_key ON account (login);

-- A session is known by the SHA-256 of its cookie; the cookie itself is
-- never stored. csrf is the token a page sends back with every change.
CREATE TABLE web_session (
    digest      bytea PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES account (id),
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX web_session_account_idx ON web_session (account_id) WHERE ended_at IS NULL;

-- Failed sign-ins, counted per login and per address to throttle guessing
-- across every serve process.
CREATE TABLE login_failure (
    at     timestamptz NOT NULL DEFAULT now(),
    login  text NOT NULL,
    addr   text NOT NULL
);
CREATE INDEX login_failure_login_idx ON login_failure (login, at);
CREATE INDEX login_failure_addr_idx ON login_failure (addr, at);
