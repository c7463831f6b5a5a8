"""Operator tools of level 2: deploy, backfill, queries over the lake, demo and benchmark."""
