"""Slack, through slack-bolt's AsyncApp on the one Request URL ``/slack/events``."""
