-- query
SELECT id FROM project_logs('p') WHERE metadata.model = 'gpt-4o' AND metrics.prompt_tokens > 100 AND span_attributes.type = 'llm' AND metrics.start > 0
-- duckdb
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) AND ((("model" = 'gpt-4o' AND "prompt_tokens" > 100) AND "span_type" = 'llm') AND "start_time" > 0) ORDER BY "_pagination_key" DESC LIMIT 100
-- clickhouse
SELECT "id", "_pagination_key" AS "_cursor_0" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete) AND ((("model" = 'gpt-4o' AND "prompt_tokens" > 100) AND "span_type" = 'llm') AND "start_time" > 0) ORDER BY "_pagination_key" DESC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
