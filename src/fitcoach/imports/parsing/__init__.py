"""Reading FIT, GPX and TCX files and Strava's archive: no database here."""
