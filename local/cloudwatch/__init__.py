"""CloudWatch: composite alarms, alarm actions on state changes (SNS notifications), AlarmTypes."""
