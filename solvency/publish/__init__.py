"""Periodic publication (docs/SPEC.md section 11): what the bank runs every epoch.

Invariant: `PUBDIR/<epoch>/` appears whole or not at all. Everything, including the epoch's
copy of the transparency log, is built in a staging directory beside it, fsynced, and renamed
into place; a crash at any point leaves either the complete epoch or no trace of it.
"""
