"""Label sheets for supervisors: locations, totes and badges as PDF downloads (/labels)."""
