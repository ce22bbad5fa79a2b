"""Scrapy spiders: each yields Mention records for one configured source."""
