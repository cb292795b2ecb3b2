"""Archive exports of deals and their verification: `docgen export` and `docgen verify`."""
