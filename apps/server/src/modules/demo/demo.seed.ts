import type { Db } from '../../platform/db/database.js';
import type { Services } from '../../app.js';

export interface SeededAccount {
  role: string;
  name: string;
  email: string;
  password: string;
}

/**
 * Seeds a demo practice on the first start of a development install: departments, a care team, one user per
 * staff role and two patients, each with a random password that is printed once and stored only as a hash.
 */
export async function seedDemo(db: Db, services: Services): Promise<{ organization: string; accounts: SeededAccount[] }> {
  const slug = 'demo';
  const accounts: SeededAccount[] = [];
  await db.transaction().execute(async (tx) => {
    const orgId = await services.orgs.create(tx, { slug, name: 'Riverside Family Practice (demo)' });
    const dept = await tx.insertInto('departments').values({ id: crypto.randomUUID(), org_id: orgId, name: 'Family Medicine' }).returning('id').executeTakeFirstOrThrow();
    const team = crypto.randomUUID();
    await tx.insertInto('care_teams').values({ id: team, org_id: orgId, name: 'Team Blue', department_id: dept.id }).execute();
    const people: { role: 'admin' | 'provider' | 'staff' | 'compliance' | 'patient'; name: string; email: string }[] = [
      { role: 'admin', name: 'Alex Admin', email: 'admin@demo.haven.test' },
      { role: 'provider', name: 'Dr. Priya Provider', email: 'provider@demo.haven.test' },
      { role: 'staff', name: 'Sam Nurse', email: 'nurse@demo.haven.test' },
      { role: 'compliance', name: 'Casey Compliance', email: 'compliance@demo.haven.test' },
      { role: 'patient', name: 'Pat Patient', email: 'pat@demo.haven.test' },
      { role: 'patient', name: 'Jordan Client', email: 'jordan@demo.haven.test' },
    ];
    for (const p of people) {
      const { id, password } = await services.users.createIdentity(tx, { orgId, role: p.role, email: p.email, name: p.name, departmentId: p.role === 'patient' ? null : dept.id });
      if (p.role === 'provider' || p.role === 'staff') await tx.insertInto('care_team_members').values({ care_team_id: team, user_id: id, org_id: orgId }).execute();
      if (p.role === 'patient') await tx.insertInto('patient_care_teams').values({ patient_id: id, care_team_id: team, org_id: orgId }).execute();
      accounts.push({ role: p.role, name: p.name, email: p.email, password });
    }
    await services.audit.record(tx, { orgId, action: 'demo.seed', resourceType: 'organization', resourceId: orgId, details: { accounts: accounts.length } });
  });
  return { organization: slug, accounts };
}
