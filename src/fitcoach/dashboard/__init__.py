"""The athlete's dashboard and activity pages, and their read models."""
