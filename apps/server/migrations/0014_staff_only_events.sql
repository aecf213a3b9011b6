-- One mark for events patients must never receive: the staff_only column (0012). Events written before it existed by
-- the workflow (thread.updated, sla.reminder, safety.alert) and the staff-only thread events that marked themselves in
-- `data` (scheduled messages, chart notes) get it too, so a replay from an old cursor never hands them to a patient.
UPDATE events SET staff_only = true
 WHERE NOT staff_only
   AND (kind IN ('thread.updated', 'sla.reminder', 'safety.alert', 'scheduled_message.changed', 'chart_note.created', 'chart_note.removed')
        OR data->>'audience' = 'staff');
