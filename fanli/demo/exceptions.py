from fanli.common.exceptions import Conflict, FanliError

__all__ = ["DemoDataPresent", "FanliError"]


class DemoDataPresent(Conflict):
    """The database already holds customers: loading again would mix or duplicate data."""

    code = "demo_data_present"
