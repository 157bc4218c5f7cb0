-- A text fingerprint of everything pgratchet defines in a database, one line per fact, for
-- comparing an upgraded database with a fresh install (scripts/upgrade_check.sh). Names and
-- definitions only: no oids, no data, no sequence positions. Run with psql -At.
WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'ratchet')
SELECT line FROM (
    SELECT 'schema owner ' || pg_catalog.pg_get_userbyid(n.nspowner) || ' acl ' || coalesce(n.nspacl::text, '-') AS line
    FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'ratchet'
    UNION ALL
    SELECT format('relation %s kind %s persistence %s options %s acl %s rls %s/%s',
        c.relname, c.relkind, c.relpersistence, coalesce(c.reloptions::text, '-'),
        coalesce(c.relacl::text, '-'), c.relrowsecurity, c.relforcerowsecurity)
    FROM pg_catalog.pg_class AS c WHERE c.relnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT format('column %s.%s #%s %s notnull %s default %s identity %s generated %s',
        c.relname, a.attname,
        row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
        pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
        coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '-'), a.attidentity, a.attgenerated)
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
    LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s on %s: %s', co.conname, co.conrelid::regclass,
        pg_catalog.pg_get_constraintdef(co.oid))
    FROM pg_catalog.pg_constraint AS co WHERE co.connamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT 'index ' || pg_catalog.pg_get_indexdef(i.indexrelid)
    FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
    WHERE c.relnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT format('function %s owner %s secdef %s config %s acl %s volatile %s parallel %s strict %s',
        p.oid::regprocedure, pg_catalog.pg_get_userbyid(p.proowner), p.prosecdef,
        coalesce(p.proconfig::text, '-'), coalesce(p.proacl::text, '-'), p.provolatile,
        p.proparallel, p.proisstrict)
        || E'\n' || pg_catalog.md5(pg_catalog.pg_get_functiondef(p.oid))
    FROM pg_catalog.pg_proc AS p WHERE p.pronamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT format('view %s: %s', c.relname, pg_catalog.md5(pg_catalog.pg_get_viewdef(c.oid)))
    FROM pg_catalog.pg_class AS c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('trigger %s on %s: %s', t.tgname, t.tgrelid::regclass, pg_catalog.pg_get_triggerdef(t.oid))
    FROM pg_catalog.pg_trigger AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
    WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %s on %s %s to %s using %s check %s', po.polname, po.polrelid::regclass,
        po.polcmd, po.polroles::regrole[]::text,
        coalesce(pg_catalog.pg_get_expr(po.polqual, po.polrelid), '-'),
        coalesce(pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '-'))
    FROM pg_catalog.pg_policy AS po JOIN pg_catalog.pg_class AS c ON c.oid = po.polrelid
    WHERE c.relnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT format('comment on %s: %s', pg_catalog.pg_describe_object(de.classoid, de.objoid, de.objsubid),
        pg_catalog.md5(de.description))
    FROM pg_catalog.pg_description AS de
    WHERE pg_catalog.pg_describe_object(de.classoid, de.objoid, de.objsubid) LIKE '%ratchet.%'
    UNION ALL
    SELECT format('event trigger %s on %s tags %s enabled %s: %s', e.evtname, e.evtevent,
        coalesce(e.evttags::text, '-'), e.evtenabled, e.evtfoid::regproc)
    FROM pg_catalog.pg_event_trigger AS e WHERE e.evtname LIKE 'ratchet%'
    UNION ALL
    SELECT 'role ' || r.rolname || ' login ' || r.rolcanlogin
    FROM pg_catalog.pg_roles AS r WHERE r.rolname LIKE 'ratchet\_%'
    UNION ALL
    SELECT format('member %s of %s', m.member::regrole, m.roleid::regrole)
    FROM pg_catalog.pg_auth_members AS m
    WHERE m.roleid::regrole::text LIKE 'ratchet\_%'
    UNION ALL
    SELECT 'extension member ' || pg_catalog.pg_describe_object(dep.classid, dep.objid, dep.objsubid)
    FROM pg_catalog.pg_depend AS dep
    JOIN pg_catalog.pg_extension AS x ON x.oid = dep.refobjid AND dep.refclassid = 'pg_extension'::regclass
    WHERE x.extname = 'pgratchet' AND dep.deptype = 'e'
    UNION ALL
    SELECT format('config dump %s where %s', cfg.rel::regclass, coalesce(cfg.cond, '-'))
    FROM pg_catalog.pg_extension AS x
    CROSS JOIN LATERAL unnest(x.extconfig, x.extcondition) AS cfg (rel, cond)
    WHERE x.extname = 'pgratchet'
) AS facts
ORDER BY line;
