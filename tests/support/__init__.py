"""Helpers shared by the tests (and ``benchmarks/bench_providers.py``); no tests here.

* ``cassettes``: vcrpy replay of the hand-written cassettes under ``tests/cassettes/<sdk>/``,
  and :func:`~tests.support.cassettes.records` (what trackers and exporters receive).
* ``sdk_matrix``: real SDK clients on a mock transport answering from those cassettes, and
  the provider matrix (every SDK's call shapes) the reliability tests run.
* ``fault_runner``: the fault-injection runner that ``tests/reliability/test_faults.py``
  starts in a subprocess.
* ``exporter_records``: request records computed by the real estimator, for exporter tests.
* ``profiles``: round-number hardware, site and electricity for the impact-model tests.
* ``scripts``: :func:`~tests.support.scripts.load_script` imports a dev script of scripts/.
"""
