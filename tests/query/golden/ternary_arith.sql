-- query
SELECT (scores.Factuality > 0.8 ? 'high' : 'low') AS band, -metrics.tokens * 2 % 7 AS weird, metrics.completion_tokens / metrics.prompt_tokens AS ratio FROM project_logs('p')
-- duckdb
SELECT CASE WHEN "scores"['Factuality'] > 0.8 THEN 'high' ELSE 'low' END AS "band", ((-("total_tokens") * 2) % 7) AS "weird", ("completion_tokens" / "prompt_tokens") AS "ratio", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) ORDER BY "_pagination_key" DESC LIMIT 100
-- clickhouse
SELECT CASE WHEN "scores"['Factuality'] > 0.8 THEN 'high' ELSE 'low' END AS "band", ((-("total_tokens") * 2) % 7) AS "weird", ("completion_tokens" / "prompt_tokens") AS "ratio", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
