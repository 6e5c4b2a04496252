-- Open returns that have not moved for more than 14 days: the default N.
--
-- Why 14: distance sales in Taiwan carry a 7-day cooling-off period, and a return that has sat
-- for another week of handling beyond it is one staff should look at. It is a starting point to
-- tune, not a vendor figure: for another threshold query open_returns WHERE days_in_status > N.
CREATE OR REPLACE VIEW stuck_returns AS
SELECT *
FROM open_returns
WHERE days_in_status > 14;
