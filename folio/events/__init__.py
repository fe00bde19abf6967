"""Events: the Spark stage that turns Segment messages into clean events and sessions, its
Spark session, and the same sessionization in DuckDB SQL (the test oracle)."""
