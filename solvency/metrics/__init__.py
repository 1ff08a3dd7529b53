"""Prometheus metrics of assets and liabilities (docs/METRICS.md).

Modules, in dependency order:

* `catalog`: every metric the exporter can emit (name, type, unit, labels, help), one table;
* `readings`: the frozen values one scrape reads (ledger, node assets, publication) or a failure;
* `sources`: the readers that produce them (ledger store, snapshot directory or command,
  publication directory);
* `figures`: the pure computation from readings to samples (integer money, exact ratios);
* `collector`: the prometheus_client collector that runs one scrape;
* `server` and `textfile`: the HTTP endpoint and the node_exporter textfile writer.

The invariant the package exists for: a source that cannot be read is reported as *unknown*
(its ``solvency_source_up`` is 0 and its values, and every figure derived from them, are absent
from that scrape), never as zero. A dashboard or alert can then tell an outage from insolvency.
"""
