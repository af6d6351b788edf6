"""Progress reports on the strategy's actions: what each ministry says it has done, the
secretariat's review, and the follow-up sheet import."""
