"""People's SMS replies: HUY cancels the checkup, CO confirms it, anything else is kept."""
