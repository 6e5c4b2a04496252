INSERT OR IGNORE INTO status_terminal (kind, code) VALUES ($kind, $code);
