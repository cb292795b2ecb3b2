"""The deal form: its model, its checks, its readers and the XLSX card."""
