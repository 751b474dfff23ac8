"""The awards service's read side: queries, paging and exports, shaped for the reader's role."""
