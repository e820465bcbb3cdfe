-- When each API token was last used, for `minerights token list`: set when
-- a server process authenticates the token from the database (processes
-- remember valid tokens for up to a minute, so the time is to the minute),
-- and written at most once a minute per token.
ALTER TABLE api_token ADD COLUMN last_used_at timestamptz;
