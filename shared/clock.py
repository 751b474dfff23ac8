"""Today's date where the competitions are held: deadlines and notice periods are Shanghai dates."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from nameko.extensions import DependencyProvider

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


class ShanghaiToday(DependencyProvider):
    """Workers get a callable returning today's Shanghai date; tests replace it to move the clock."""

    def get_dependency(self, worker_ctx):
        return shanghai_today
