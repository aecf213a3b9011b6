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
    const dept = await services.orgs.addDepartment(tx, orgId, 'Family Medicine');
    const people: { role: 'admin' | 'provider' | 'staff' | 'compliance' | 'patient'; name: string; email: string }[] = [
      { role: 'admin', name: 'Alex Admin', email: 'admin@demo.haven.test' },
      { role: 'provider', name: 'Dr. Priya Provider', email: 'provider@demo.haven.test' },
      { role: 'staff', name: 'Sam Nurse', email: 'nurse@demo.haven.test' },
      { role: 'compliance', name: 'Casey Compliance', email: 'compliance@demo.haven.test' },
      { role: 'patient', name: 'Pat Patient', email: 'pat@demo.haven.test' },
      { role: 'patient', name: 'Jordan Client', email: 'jordan@demo.haven.test' },
    ];
    const ids = new Map<string, string>();
    for (const p of people) {
      const { id, password } = await services.users.createIdentity(tx, { orgId, role: p.role, email: p.email, name: p.name, departmentId: p.role === 'patient' ? null : dept.id });
      ids.set(p.email, id);
      accounts.push({ role: p.role, name: p.name, email: p.email, password });
    }
    const clinicians = people.filter((p) => p.role === 'provider' || p.role === 'staff').map((p) => ids.get(p.email)!);
    const team = await services.orgs.addCareTeam(tx, orgId, { name: 'Team Blue', departmentId: dept.id, memberIds: clinicians });
    for (const p of people.filter((x) => x.role === 'patient')) await services.orgs.setPatientCareTeams(tx, orgId, ids.get(p.email)!, [team]);
    await services.audit.record(tx, { orgId, action: 'demo.seed', resourceType: 'organization', resourceId: orgId, details: { accounts: accounts.length } });
  });
  return { organization: slug, accounts };
}
