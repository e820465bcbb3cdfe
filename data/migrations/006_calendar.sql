-- Working-day calendars the bureau loads per year (PUT /api/v1/calendars/{year},
-- `minerights calendar load`). A year loaded here replaces the file of the same
-- year (data/calendar/, --calendar-dir) in every process at its next working-day
-- count: announcements, confirmation letters and publicity read these rows when
-- they count.
--
-- calendar_year holds the version in force; calendar_year_version keeps every
-- version ever loaded, append-only, written by a trigger so that no load can
-- skip it. A deadline counted with a version that was later replaced is traced
-- to the version in force at the time of the count: the one with the latest
-- loaded_at before it.

CREATE TABLE calendar_year_version (
    year        int NOT NULL CHECK (year BETWEEN 1992 AND 2200),
    version     int NOT NULL CHECK (version >= 1),
    document    text NOT NULL,          -- the YAML (or JSON) document as loaded
    source      text NOT NULL CHECK (btrim(source) <> ''),
    holidays    int NOT NULL CHECK (holidays >= 0),
    sha256      bytea NOT NULL,         -- of the document in UTF-8
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    loaded_by   text NOT NULL,
    PRIMARY KEY (year, version)
);

CREATE TABLE calendar_year (
    year        int PRIMARY KEY CHECK (year BETWEEN 1992 AND 2200),
    version     int NOT NULL,           -- set by calendar_year_number
    document    text NOT NULL,          -- the YAML (or JSON) document as loaded
    source      text NOT NULL CHECK (btrim(source) <> ''),
    holidays    int NOT NULL CHECK (holidays >= 0),
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    loaded_by   text NOT NULL,
    FOREIGN KEY (year, version) REFERENCES calendar_year_version (year, version)
        DEFERRABLE INITIALLY DEFERRED
);

-- Each load of a year is its next version: 1, 2, ...
CREATE FUNCTION calendar_year_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := (SELECT COALESCE(max(version), 0) + 1 FROM calendar_year_version WHERE year = NEW.year);
    RETURN NEW;
END
$$;

CREATE TRIGGER calendar_year_number BEFORE INSERT OR UPDATE ON calendar_year
    FOR EACH ROW EXECUTE FUNCTION calendar_year_number();

-- ... and is kept in calendar_year_version.
CREATE FUNCTION calendar_year_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO calendar_year_version (year, version, document, source, holidays, sha256, loaded_at, loaded_by)
    VALUES (NEW.year, NEW.version, NEW.document, NEW.source, NEW.holidays, sha256(convert_to(NEW.document, 'UTF8')),
            NEW.loaded_at, NEW.loaded_by);
    RETURN NULL;
END
$$;

CREATE TRIGGER calendar_year_keep AFTER INSERT OR UPDATE ON calendar_year
    FOR EACH ROW EXECUTE FUNCTION calendar_year_keep();

-- The history is append-only, and a loaded year is replaced, never removed:
-- a count made with it must stay explainable.
CREATE TRIGGER calendar_year_version_append_only BEFORE UPDATE OR DELETE ON calendar_year_version
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER calendar_year_version_no_truncate BEFORE TRUNCATE ON calendar_year_version
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER calendar_year_no_delete BEFORE DELETE ON calendar_year
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER calendar_year_no_truncate BEFORE TRUNCATE ON calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
