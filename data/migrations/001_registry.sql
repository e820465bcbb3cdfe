-- The parcel registry: counties, parcels with their reserve and capacity
-- lines, and API tokens. Geometry is stored in CGCS2000 lon/lat (SRID 4490);
-- areas and distances are computed in CGCS2000 / 3-degree Gauss-Krüger zone 38
-- (EPSG:4526), the projection the bureau's corner points use.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE county (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL UNIQUE,
    geom        geometry(MultiPolygon, 4490) NOT NULL,
    source      text NOT NULL
);
CREATE INDEX county_geom_idx ON county USING gist (geom);

CREATE TABLE parcel (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gazette_no          integer UNIQUE CHECK (gazette_no > 0),
    name                text NOT NULL CHECK (length(btrim(name)) > 0),
    county_code         text NOT NULL REFERENCES county (code),
    mineral             text NOT NULL CHECK (length(btrim(mineral)) > 0),
    basis               text NOT NULL CHECK (basis IN ('explored', 'reconnaissance')),
    basis_text          text,
    status              text NOT NULL DEFAULT 'registered'
                        CHECK (status IN ('registered', 'announced', 'in_sale', 'sold', 'failed', 'withdrawn')),
    geom                geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    stated_area_km2     numeric NOT NULL CHECK (stated_area_km2 > 0),
    elevation_top_m     double precision,
    elevation_bottom_m  double precision,
    mining_method       text,
    service_life_years  numeric CHECK (service_life_years > 0),
    starting_price_yuan bigint CHECK (starting_price_yuan > 0),
    statement           text,
    schedule            text,
    responsible         text[] NOT NULL DEFAULT '{}',
    details             jsonb NOT NULL DEFAULT '{}',
    source_document     text NOT NULL,
    geometry_source     text NOT NULL CHECK (geometry_source IN ('generated', 'surveyed')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1,
    CHECK ((elevation_top_m IS NULL) = (elevation_bottom_m IS NULL)),
    CHECK (elevation_top_m >= elevation_bottom_m)
);
CREATE INDEX parcel_geom_idx ON parcel USING gist (geom);
CREATE INDEX parcel_county_idx ON parcel (county_code);
CREATE INDEX parcel_status_idx ON parcel (status);

-- Reserve lines keep the gazette's quantity as an exact decimal together with
-- its unit (万立方米 of blocks, 万吨) and, where given, the category (122b).
CREATE TABLE parcel_reserve (
    parcel_id   bigint NOT NULL REFERENCES parcel (id) ON DELETE CASCADE,
    line        integer NOT NULL CHECK (line > 0),
    commodity   text NOT NULL,
    quantity    numeric NOT NULL CHECK (quantity > 0),
    unit        text NOT NULL,
    category    text,
    note        text,
    PRIMARY KEY (parcel_id, line)
);

CREATE TABLE parcel_capacity (
    parcel_id   bigint NOT NULL REFERENCES parcel (id) ON DELETE CASCADE,
    line        integer NOT NULL CHECK (line > 0),
    commodity   text NOT NULL,
    quantity    numeric NOT NULL CHECK (quantity > 0),
    unit        text NOT NULL,
    PRIMARY KEY (parcel_id, line)
);

-- Bearer tokens are stored as SHA-256 digests; the token itself is shown once.
CREATE TABLE api_token (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) > 0),
    role        text NOT NULL CHECK (role IN ('bureau', 'bidder', 'planner')),
    digest      bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
