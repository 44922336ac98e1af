"""The stock handheld: receive, put away and move stock, work replenishment tasks."""
