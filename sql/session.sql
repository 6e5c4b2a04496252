-- Per connection: TIMESTAMPTZ values come back to Python as UTC instants.
SET TimeZone = 'UTC';
