-- Data issues recorded for the run's windows, by field and problem.
SELECT field, problem, count(*) AS issues
FROM order_data_issues
WHERE window_date BETWEEN $start AND $end
GROUP BY field, problem
ORDER BY issues DESC, field, problem;
