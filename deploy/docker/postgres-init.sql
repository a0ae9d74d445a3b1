-- Run once by the postgres image (/docker-entrypoint-initdb.d) when its data directory is
-- empty, as POSTGRES_USER, who thereby owns the databases. One database per service; each
-- service creates its own tables by applying its migrations at start.
CREATE DATABASE enrolment;
CREATE DATABASE invitation;
CREATE DATABASE notification;
CREATE DATABASE registration;
