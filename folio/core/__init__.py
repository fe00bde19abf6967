"""The ground floor every stage may import and that imports no stage: errors, the stage
result, the run window, the run ledger, the lake, DuckDB connections, process helpers."""
