// The XiVO domain modules, registered beside Ansible's in src/modules/index.ts.
import type { Module } from '../../core/types.js';
import { xivoHaSecret } from './xivo-ha-secret.js';
import { xivoPgRole } from './postgresql-role.js';
import { xivoStaticSip } from './xivo-staticsip.js';
import { xivoStandbyTelephony } from './standby-telephony.js';

export const haModules: Module<never>[] = [xivoHaSecret, xivoPgRole, xivoStaticSip, xivoStandbyTelephony] as unknown as Module<never>[];
