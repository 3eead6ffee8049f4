-- A change counter per user, moved by triggers in the same transaction as
-- the change, so that a replica may answer from memory what it read earlier
-- while the counter has not moved, whichever replica wrote in between (see
-- accounts.Generations). Rows are never deleted: a counter that restarted
-- could meet a stale copy tagged with the same number.
CREATE TABLE generations (
	user_id text   NOT NULL PRIMARY KEY,
	n       bigint NOT NULL
);

CREATE FUNCTION generations_bump(uid text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO generations AS g (user_id, n) VALUES (uid, 1)
	ON CONFLICT (user_id) DO UPDATE SET n = g.n + 1
$$;

-- Rows that carry their user: accounts, and sessions.
CREATE FUNCTION generations_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM generations_bump(OLD.user_id);
	ELSE
		PERFORM generations_bump(NEW.user_id);
	END IF;
	RETURN NULL;
END
$$;

-- Selections, whose user is their session's. A selection deleted with its
-- session finds the session gone and moves nothing; the session's own
-- trigger did.
CREATE FUNCTION generations_of_selection() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	uid text;
BEGIN
	SELECT user_id INTO uid FROM sessions
		WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.session_id ELSE NEW.session_id END;
	IF uid IS NOT NULL THEN
		PERFORM generations_bump(uid);
	END IF;
	RETURN NULL;
END
$$;

-- Credentials, whose user is their account's; the same holds for one
-- deleted with its account.
CREATE FUNCTION generations_of_credential() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	uid text;
BEGIN
	SELECT user_id INTO uid FROM accounts
		WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id ELSE NEW.account_id END;
	IF uid IS NOT NULL THEN
		PERFORM generations_bump(uid);
	END IF;
	RETURN NULL;
END
$$;

-- Any change to an account: its row, status, alias, policy, last use.
CREATE TRIGGER generations_account AFTER INSERT OR UPDATE OR DELETE ON accounts
	FOR EACH ROW EXECUTE FUNCTION generations_of_row();

-- A session's settings and its end; not updated_at alone (TouchSession,
-- which keeps a session in use from being swept, is not a change anyone
-- reads from memory).
CREATE TRIGGER generations_session_update AFTER UPDATE OF user_id, key_id, toolkits,
	auth_configs, require_explicit_selection, tool_mode, token_hash, expires_at ON sessions
	FOR EACH ROW EXECUTE FUNCTION generations_of_row();
CREATE TRIGGER generations_session_delete AFTER DELETE ON sessions
	FOR EACH ROW EXECUTE FUNCTION generations_of_row();

CREATE TRIGGER generations_credential AFTER INSERT OR UPDATE OR DELETE ON credentials
	FOR EACH ROW EXECUTE FUNCTION generations_of_credential();

CREATE TRIGGER generations_selection AFTER INSERT OR UPDATE OR DELETE ON session_selections
	FOR EACH ROW EXECUTE FUNCTION generations_of_selection();
