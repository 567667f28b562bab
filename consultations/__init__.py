"""The consultation domain: drafts, rounds, submissions, tallies, versions and exports.

Pure: plain data in, plain data out. No chat platform, no database session, no clock
read behind anyone's back (callers pass `now`).
"""
