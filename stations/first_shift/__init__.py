"""First shift: hints on the pick and pack screens for new people, practice waves, and the
supervisors' page that shows who is new and starts or ends their practice (docs/first-shift.md)."""
