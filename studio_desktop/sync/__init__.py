"""Talks to Supabase through supabase-py: session, pull, push, blob transfer, status."""
