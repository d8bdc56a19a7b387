"""Constants the light CLI modules keep (so `--help` imports no pandas) match their sources."""

from xstilts.analysis import bootstrap
from xstilts.cli import report, results
from xstilts.store import export


def test_cli_constants_match_the_library():
    assert results.FORMATS == export.FORMATS
    assert report.DEFAULT_RESAMPLES == bootstrap.DEFAULT_RESAMPLES
    from xstilts.store.sqlite import ResultStore

    assert all(callable(getattr(ResultStore, method)) for method in results.VIEWS.values())
