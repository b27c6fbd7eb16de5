"""Casebot without a Slack workspace: the local stand-in for Slack's Web API, builders of signed Slack
requests, and the sandbox web page that plays the Slack client in a browser."""
