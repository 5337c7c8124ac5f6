"""Training plans: the goal, the athlete's time, the plan and its versions, the athlete's
own changes, compliance, and the plan as files and as a calendar feed."""
