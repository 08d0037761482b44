"""Business rules and transaction boundaries; each public function is one unit of work."""
