"""Finding the input files of a run and reading each, as text, into a raw DuckDB table.

Every raw table has one VARCHAR column per header (canonical names for known headers) and the
physical line each row came from (header = line 1; for .xlsx the sheet row). Typing, ID
normalisation and quarantine happen afterwards in SQL (fundwatch.load).

discovery finds the files (specs: the tables they can be; files: what is known of each); staging
reads each into `raw` with the reader of its format (csv_files, xlsx_files, parquet_files), which
map its header row (headers), decode its bytes (encodings) and write raw_tables.
"""

from fundwatch.ingest.discovery import county_code, discover, match_table
from fundwatch.ingest.files import ROW_KEY_FILE_FACTOR, InputError, InputFile, RunInputs
from fundwatch.ingest.specs import ColumnSpec, TableSpec, TypeSpec, table_specs, type_specs
from fundwatch.ingest.staging import attach_staging, drop_raw, read_raw

__all__ = ["ROW_KEY_FILE_FACTOR", "ColumnSpec", "InputError", "InputFile", "RunInputs", "TableSpec", "TypeSpec",
           "attach_staging", "county_code", "discover", "drop_raw", "match_table", "read_raw", "table_specs", "type_specs"]
