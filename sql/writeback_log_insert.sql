-- One audit row; a later step of the same run (verification) replaces it.
INSERT OR REPLACE INTO writeback_log
    (run_id, order_id, field, old_value, new_value, outcome, http_status, message, "at")
VALUES ($run_id, $order_id, $field, $old_value, $new_value, $outcome, $http_status, $message, $at);
