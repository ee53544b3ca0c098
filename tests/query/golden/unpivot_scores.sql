-- query
dimensions: score | measures: avg(value) as avg_value | from: project_logs('p') | unpivot: scores as (score, value) | sort: avg_value desc
-- duckdb
SELECT "score", AVG("scores"["score"]) AS "avg_value" FROM (SELECT *, UNNEST(MAP_KEYS("scores")) AS "score" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete)) AS _u0 GROUP BY "score" ORDER BY AVG("scores"["score"]) DESC, "score" ASC LIMIT 100
-- clickhouse
SELECT "score", AVG("scores"["score"]) AS "avg_value" FROM (SELECT *, arrayJoin(mapKeys("scores")) AS "score" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete)) AS _u0 GROUP BY "score" ORDER BY AVG("scores"["score"]) DESC, "score" ASC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
