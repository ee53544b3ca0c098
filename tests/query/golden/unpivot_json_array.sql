-- query
SELECT classification.id, COUNT(1) AS count FROM project_logs('p') UNPIVOT (classification FOR _ IN (classifications.Issues)) GROUP BY classification.id
-- duckdb
SELECT JSON_EXTRACT("classification", '$."id"') AS "id", COUNT(*) AS "count" FROM (SELECT *, UNNEST(CAST(JSON_EXTRACT("extra", '$."classifications"."Issues"') AS JSON[])) AS "classification" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete)) AS _u0 GROUP BY JSON_EXTRACT("classification", '$."id"') ORDER BY JSON_EXTRACT("classification", '$."id"') ASC LIMIT 100
-- clickhouse
SELECT JSONExtractRaw("classification", 'id') AS "id", COUNT(*) AS "count" FROM (SELECT *, arrayJoin(JSONExtractArrayRaw("extra", 'classifications', 'Issues')) AS "classification" FROM "rows" WHERE "object_type" = 'project_logs' AND "object_id" IN ('p') AND (_superseded_by IS NULL AND NOT _object_delete)) AS _u0 GROUP BY JSONExtractRaw("classification", 'id') ORDER BY JSONExtractRaw("classification", 'id') ASC LIMIT 100 SETTINGS prefer_column_name_to_alias = 1
