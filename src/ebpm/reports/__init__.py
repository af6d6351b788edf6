"""Reports people use: the follow-up sheet (Excel), the three-column table (Word, PDF) and the
annual progress report (PDF, HTML), each from one edition of the knowledge base and the
monitoring store, reproducible from the data (same data, same bytes)."""
