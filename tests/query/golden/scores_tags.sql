-- query
select: scores.Factuality, tags[0] AS first_tag | from: project_logs('p') | filter: tags includes 'triage' AND scores."Response Quality" > 0.5
-- duckdb
SELECT "scores"['Factuality'] AS "Factuality", LIST_EXTRACT("tags", 1) AS "first_tag", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) AND (COALESCE(ARRAY_CONTAINS("tags", 'triage'), FALSE) AND "scores"['Response Quality'] > 0.5) ORDER BY "_pagination_key" DESC LIMIT 100
-- clickhouse
SELECT "scores"['Factuality'] AS "Factuality", arrayElementOrNull("tags", 1) AS "first_tag", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) AND (has("tags", 'triage') AND "scores"['Response Quality'] > 0.5) ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
